"""ganscope dashboard (Streamlit). Start with ``streamlit run app/main.py``."""
