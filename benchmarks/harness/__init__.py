"""Evaluation harness: LVBench, Video-MME, MLVU and generated needle-in-a-video benchmarks.

questions = load_lvbench(Path("video_info.meta.jsonl"))
summary = run_benchmark("lvbench", annotations, videos_dir, out_dir, service)
"""
