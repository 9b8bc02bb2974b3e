"""Score documents for people: the terminal report (terminal.py) and the HTML class report
(html.py, with html_assets.py)."""
