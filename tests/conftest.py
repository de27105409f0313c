"""Settings every test needs before Rasa or transformers are imported."""
import os

# No traffic may leave the machine: Rasa's telemetry off, no model hub; transformers must not pick
# TensorFlow (installed for Rasa) as its backend.
os.environ["RASA_TELEMETRY_ENABLED"] = "false"
os.environ["USE_TF"] = "0"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
