"""ganscope pipelines: offline jobs (data, training, metrics) that write run folders."""
