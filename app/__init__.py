"""ganscope dashboard (Streamlit). Start with ``streamlit run app/main.py`` (the script is ``app/dashboard.py``)."""
