"""Chart builders (Plotly figures) and the cards and text beside them, split by page.

Every builder takes a small frame from `analysis.views` (or the impact summary) and returns a
`Chart` (figure and a one-line summary) or text; nothing here queries the database.
"""

from analysis.charts.base import (
    ATTENDANCE_COLOURS as ATTENDANCE_COLOURS,
)
from analysis.charts.base import (
    BLACK as BLACK,
)
from analysis.charts.base import (
    BLUE as BLUE,
)
from analysis.charts.base import (
    CURVE_HEIGHTS as CURVE_HEIGHTS,
)
from analysis.charts.base import (
    FONT as FONT,
)
from analysis.charts.base import (
    GREEN as GREEN,
)
from analysis.charts.base import (
    GREY as GREY,
)
from analysis.charts.base import (
    LIGHT_GREY as LIGHT_GREY,
)
from analysis.charts.base import (
    NO_RECORDS as NO_RECORDS,
)
from analysis.charts.base import (
    OKABE_ITO as OKABE_ITO,
)
from analysis.charts.base import (
    ORANGE as ORANGE,
)
from analysis.charts.base import (
    PURPLE as PURPLE,
)
from analysis.charts.base import (
    SEQUENTIAL as SEQUENTIAL,
)
from analysis.charts.base import (
    SKY as SKY,
)
from analysis.charts.base import (
    VERMILLION as VERMILLION,
)
from analysis.charts.base import (
    WEEKDAYS as WEEKDAYS,
)
from analysis.charts.base import (
    YELLOW as YELLOW,
)
from analysis.charts.base import (
    Chart as Chart,
)
from analysis.charts.base import (
    _empty as _empty,
)
from analysis.charts.base import (
    _figure as _figure,
)
from analysis.charts.base import (
    _group_starts as _group_starts,
)
from analysis.charts.base import (
    _is_empty as _is_empty,
)
from analysis.charts.base import (
    _missing as _missing,
)
from analysis.charts.base import (
    _month_axis as _month_axis,
)
from analysis.charts.base import (
    _pick as _pick,
)
from analysis.charts.base import (
    _rate_axis as _rate_axis,
)
from analysis.charts.base import (
    _ratio as _ratio,
)
from analysis.charts.base import (
    _rows as _rows,
)
from analysis.charts.base import (
    _wrap as _wrap,
)
from analysis.charts.base import (
    house_style as house_style,
)
from analysis.charts.base import (
    relayout as relayout,
)
from analysis.charts.base import (
    styled as styled,
)
from analysis.charts.impact import (
    impact_bars as impact_bars,
)
from analysis.charts.impact import (
    impact_breakdown as impact_breakdown,
)
from analysis.charts.impact import (
    impact_events as impact_events,
)
from analysis.charts.impact import (
    impact_milestones as impact_milestones,
)
from analysis.charts.impact import (
    impact_monthly_rates as impact_monthly_rates,
)
from analysis.charts.impact import (
    impact_stage_distribution as impact_stage_distribution,
)
from analysis.charts.journey import (
    ATTENDANCE_SYMBOLS as ATTENDANCE_SYMBOLS,
)
from analysis.charts.journey import (
    mentor_lateness as mentor_lateness,
)
from analysis.charts.journey import (
    mentor_shadowing as mentor_shadowing,
)
from analysis.charts.journey import (
    mentor_stage_path as mentor_stage_path,
)
from analysis.charts.journey import (
    mentor_timeline as mentor_timeline,
)
from analysis.charts.overview import (
    attendance_trends as attendance_trends,
)
from analysis.charts.overview import (
    flag_reasons as flag_reasons,
)
from analysis.charts.overview import (
    stage_distribution as stage_distribution,
)
from analysis.charts.reliability import (
    beneficiary_meetings_by_month as beneficiary_meetings_by_month,
)
from analysis.charts.reliability import (
    reliability_by_month as reliability_by_month,
)
from analysis.charts.shadowing import (
    PROGRESS_COLOURS as PROGRESS_COLOURS,
)
from analysis.charts.shadowing import (
    PROGRESS_NAMES as PROGRESS_NAMES,
)
from analysis.charts.shadowing import (
    completion_times as completion_times,
)
from analysis.charts.shadowing import (
    milestone_funnel as milestone_funnel,
)
from analysis.charts.shadowing import (
    milestone_outcomes as milestone_outcomes,
)
from analysis.charts.shadowing import (
    shadowing_progress as shadowing_progress,
)
from analysis.charts.text import (
    Card as Card,
)
from analysis.charts.text import (
    DeltaArrow as DeltaArrow,
)
from analysis.charts.text import (
    DeltaColour as DeltaColour,
)
from analysis.charts.text import (
    _day as _day,
)
from analysis.charts.text import (
    _format_change as _format_change,
)
from analysis.charts.text import (
    _format_figure as _format_figure,
)
from analysis.charts.text import (
    _hours as _hours,
)
from analysis.charts.text import (
    _month as _month,
)
from analysis.charts.text import (
    _number as _number,
)
from analysis.charts.text import (
    _plain as _plain,
)
from analysis.charts.text import (
    _trend_words as _trend_words,
)
from analysis.charts.text import (
    freshness_text as freshness_text,
)
from analysis.charts.text import (
    headline_cards as headline_cards,
)
from analysis.charts.text import (
    impact_hidden_note as impact_hidden_note,
)
from analysis.charts.text import (
    impact_label as impact_label,
)
from analysis.charts.text import (
    markdown_safe as markdown_safe,
)
from analysis.charts.text import (
    mentor_cards as mentor_cards,
)
from analysis.charts.text import (
    mentor_details as mentor_details,
)
from analysis.charts.text import (
    mentor_flags_text as mentor_flags_text,
)
from analysis.charts.text import (
    more_rows_note as more_rows_note,
)
from analysis.charts.text import (
    percent as percent,
)
from analysis.charts.timekeeping import (
    cohort_comparison as cohort_comparison,
)
from analysis.charts.timekeeping import (
    minutes_late as minutes_late,
)
from analysis.charts.timekeeping import (
    punctuality_by_month as punctuality_by_month,
)
from analysis.charts.timekeeping import (
    punctuality_by_session_type as punctuality_by_session_type,
)
from analysis.charts.timekeeping import (
    punctuality_by_weeks as punctuality_by_weeks,
)
from analysis.charts.timekeeping import (
    punctuality_heatmap as punctuality_heatmap,
)
from analysis.charts.timekeeping import (
    staff_time_lost as staff_time_lost,
)
from analysis.charts.transitions import (
    _stacked_centres as _stacked_centres,
)
from analysis.charts.transitions import (
    cohort_progress as cohort_progress,
)
from analysis.charts.transitions import (
    regressions_by_month as regressions_by_month,
)
from analysis.charts.transitions import (
    regressions_by_stage as regressions_by_stage,
)
from analysis.charts.transitions import (
    self_esteem_by_stage as self_esteem_by_stage,
)
from analysis.charts.transitions import (
    stage_durations as stage_durations,
)
from analysis.charts.transitions import (
    stage_flows as stage_flows,
)
from analysis.charts.transitions import (
    transition_curve as transition_curve,
)
