#include <cstdio>
int main() { std::puts("cwrf"); return 0; }
