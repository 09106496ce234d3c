"""Language-model clients (OpenAI-compatible) shared by the captioner and the agent policy."""
