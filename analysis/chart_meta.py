"""Marks a chart's traces carry in their `meta`, read when a chart's table is made from the
chart (analysis/chart_tables.py) and set where charts are drawn (analysis/charts): a leaf
module, so neither has to import the other."""

NOT_DATA = "not-data"  # a trace's meta: drawn for reading the chart, not one of its figures
LEARNING_LOG = "learning-log"  # a trace's meta: the learning log's marks on a monthly chart
# a trace's meta holds the values its table shows (e.g. mentors per stage under a drawn curve)
VALUES_IN_META = "values-in-meta"
