"""Larkspur Outfitters shop API: a small sanic + SQLite service behind the bot's actions.

Run it from the repository root with a key in the environment::

    SHOP_API_KEY=... python -m bot.shop_api --host 127.0.0.1 --port 8077 [--db PATH]

The database (`SHOP_DB_PATH`, default `bot/shop_api/shop.sqlite3`) is created on first start and
seeded with the catalogue (`data/knowledge/products.yml`) and the demo customers and orders of
docs/contracts.md, dated relative to that moment. Endpoints, error bodies and ids are described in
docs/contracts.md and served as OpenAPI 3 at `GET /openapi.json`.

Modules, one job each: `settings` (env + CLI), `db` (schema, connections, transactions), `seed`
(first-start data), `policy` (order rules), `repository` (queries), `validation` (request bodies),
`routes` (HTTP), `app` (assembly, auth, errors), `openapi`, `logs` (email masking), `errors`, `clock`.
"""
