"""The dashboard's analysis code (no Streamlit)."""

from analysis import files

# Whatever any process of the dashboard creates is its owner's only (analysis/files.py).
files.private_process()
