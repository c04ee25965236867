"""The WeChat Official Account channel: callback endpoint, passive replies, customer-service API."""
