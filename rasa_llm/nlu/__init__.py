"""NLU components (config.yml `pipeline:`), in the order a message meets them: text_sanitizer,
slash_command_guard, intent_classifier, other_language_detector, knowledge_retriever; and
action_response_check, last, which changes no message (it installs a cheaper check of action-server
responses when Rasa loads the model)."""
