"""Model code behind the generative fallback, free of Rasa imports so it can be tested and benchmarked alone.

kb (load + chunk the knowledge base) -> encoder + index (retrieve) -> prompt -> generators (local or
HTTP) -> verification (facts, similarity) -> responder (generated | extractive | abstained).
"""
