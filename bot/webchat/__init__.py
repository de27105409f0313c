"""The Larkspur Outfitters web chat page: a browser client of Rasa's socketio channel.

`python -m bot.webchat --port 8080 --rasa-url http://127.0.0.1:5005` serves it on loopback.
"""
