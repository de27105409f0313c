"""Custom actions of the Larkspur Outfitters bot (rasa_sdk). All shop data comes from the shop API
over HTTP (`actions.shop_client`); run with `python -m rasa_sdk --actions actions`."""
