"""The weekly report: numbers from the store, a chart, HTML, and delivery to Slack and e-mail."""
