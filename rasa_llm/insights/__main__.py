import sys

from rasa_llm.insights.cli import main

sys.exit(main())
