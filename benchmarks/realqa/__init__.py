"""A dev set of plain questions over real footage with real speech (see devset.yaml)."""
