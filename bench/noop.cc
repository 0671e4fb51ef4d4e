// The exec floor: a statically linked program that does nothing. bench/run_bench.py times it
// exactly like the plugin so the cache-hit cost can be read as a ratio to it.
int main() { return 0; }
