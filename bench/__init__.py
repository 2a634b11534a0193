"""canh's benchmarks: each measures canh side by side with a peer in the same run."""
