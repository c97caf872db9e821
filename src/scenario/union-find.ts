/** Union-find over 0..n-1, with path halving: the overlay's parts (metrics.ts, overlay-parts.ts). */
export class UnionFind {
  private readonly parent: number[];

  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }

  find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      p[i] = p[p[i]];
      i = p[i];
    }
    return i;
  }

  /** Put `i`'s part under `j`'s root. */
  join(i: number, j: number): void {
    this.parent[this.find(i)] = this.find(j);
  }
}
