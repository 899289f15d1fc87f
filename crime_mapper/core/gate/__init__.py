"""The leak gate: proof that a public output holds nothing raw, or a refusal (fail closed)."""
