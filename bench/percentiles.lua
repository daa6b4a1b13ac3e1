-- wrk reporter for bench/tail.py: the latency percentiles it reads, in milliseconds.
done = function(summary, latency, requests)
  io.write(string.format("p50=%.3f p99=%.3f p99.9=%.3f max=%.3f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
