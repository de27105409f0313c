"""What reaches a remote OpenAI-compatible LLM server: the request body the generative fallback
sends holds no email, card number, phone number or street address the customer typed."""
import asyncio
import json

import numpy as np
import pytest
from aiohttp import web

from rasa_llm.knowledge.generators import OpenAICompatibleGenerator
from rasa_llm.knowledge.prompt import Turn
from rasa_llm.knowledge.responder import KnowledgeResponder, ResponderSettings, RetrievedPassage

PERSONAL = {"email": "maria.garcia@example.com", "card": "4111 1111 1111 1111", "phone": "+44 20 7946 0958",
            "street": "221B Baker Street"}
QUESTION = (f"Can you deliver a tent to {PERSONAL['street']}? Reach me at {PERSONAL['email']} or "
            f"{PERSONAL['phone']}; I'd pay with card {PERSONAL['card']}.")
PASSAGE = RetrievedPassage(
    "shipping",
    "Shipping",
    "We ship tents anywhere in the US. Standard delivery takes 3-5 business days.",
    0.9,
)


class ConstantEncoder:
    """Every text gets the same unit vector: retrieval and verification pass, no model needed."""

    def encode(self, texts, batch_size: int = 32) -> np.ndarray:
        vectors = np.ones((len(texts), 4), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


async def _capture_remote_request(question: str, history: list[Turn]) -> list[dict]:
    received = []

    async def chat_completions(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"choices": [{"message": {"content": "We ship tents anywhere in the US."}}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat_completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        generator = OpenAICompatibleGenerator(f"http://127.0.0.1:{port}/v1", "any-model")
        responder = KnowledgeResponder(ConstantEncoder(), generator, ResponderSettings(timeout=10.0))
        await responder.respond(question, [PASSAGE], history)
    finally:
        await runner.cleanup()
    return received


@pytest.mark.parametrize("where", ["question", "earlier turn"])
def test_the_prompt_sent_to_a_remote_llm_holds_no_personal_data(where):
    if where == "question":
        requests = asyncio.run(_capture_remote_request(QUESTION, []))
    else:
        history = [Turn("customer", QUESTION), Turn("assistant", "Let me check.")]
        requests = asyncio.run(_capture_remote_request("How long does delivery take?", history))

    assert len(requests) == 1  # the question did reach the model: the check below is not vacuous
    sent = json.dumps(requests[0]["messages"])
    assert "tent" in sent
    leaked = {kind: value for kind, value in PERSONAL.items() if value.lower() in sent.lower()}
    assert not leaked
