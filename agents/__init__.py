"""LangGraph agents that answer questions over the event graph with cited time spans.

agent = build_agent(Toolkit(store, retriever))
answer = ask(agent, "What did the speaker say about the budget?", video_id="talk")
"""
