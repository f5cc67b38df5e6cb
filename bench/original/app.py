"""The original Python/FastAPI multi-tenant agent system, rewritten from the seed contract
(shared/design/seed-contract.md) for side-by-side benchmarks only: an in-memory dict, no
durability, no auth, and the original's context rule (every earlier "message: response" pair of
the tenant joined by spaces). Run by bench/python-original.ts with Debian's python3-fastapi and
python3-uvicorn: `python3 -m uvicorn app:app --app-dir bench/original --port N`.
"""

from typing import Dict, List

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI()
tenants: Dict[str, List[Dict[str, str]]] = {}


class Interaction(BaseModel):
    tenant_id: str
    message: str


@app.post("/agent/interact")
def interact(body: Interaction):
    history = tenants.setdefault(body.tenant_id, [])
    context = " ".join(f"{turn['message']}: {turn['response']}" for turn in history)
    response = f"Agent response to '{body.message}' with context: {context}"
    history.append({"message": body.message, "response": response})
    return {"tenant_id": body.tenant_id, "response": response}


@app.get("/agent/history/{tenant_id}")
def history(tenant_id: str):
    if tenant_id not in tenants:
        raise HTTPException(status_code=404, detail="Tenant not found")
    return {"tenant_id": tenant_id, "history": tenants[tenant_id]}
