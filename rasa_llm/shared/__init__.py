"""Plumbing more than one part of rasa_llm uses: the transformer encoder (tokenizer, ONNX, pooling),
the file hasher, model lookup and personal-data masking. Nothing here imports Rasa."""
