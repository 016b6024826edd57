"""The Streamlit adapter: the only part of cx/ that imports streamlit."""
