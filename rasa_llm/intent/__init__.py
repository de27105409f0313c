"""Model code behind TransformerIntentClassifier, free of Rasa imports so it can be tested and
benchmarked alone.

data (examples, sentiment labels from NLU metadata, stratified split) -> tokenization (truncation,
dynamic padding) -> model (encoder + mean pooling + intent / sentiment heads) -> training (joint
fine-tuning, early stopping) -> runtime (torch or ONNX Runtime, fp32 or int8) -> calibration
(temperature scaling) -> classifier (predict, save, load).
"""
