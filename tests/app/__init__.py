"""Pages through Streamlit's AppTest, signed in as each role."""
