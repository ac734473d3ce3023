"""``tracker forecasts update`` and ``tracker forecasts correct``: dated statements and corrections."""
