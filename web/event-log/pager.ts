/**
 * Cursor paging both ways over an API that only pages forward: the cursors
 * that led to each page seen so far are kept as a stack, so "previous" pops
 * back to the cursor of the page before.
 */
export class CursorStack {
  /** cursors[i] opens page i; page 0 has none. */
  private cursors: (string | undefined)[] = [undefined];
  private next: string | null = null;

  get page(): number {
    return this.cursors.length - 1;
  }
  get current(): string | undefined {
    return this.cursors[this.cursors.length - 1];
  }
  get hasNext(): boolean {
    return this.next !== null;
  }
  get hasPrevious(): boolean {
    return this.cursors.length > 1;
  }

  /** Records the next_cursor of the page just shown. */
  shown(nextCursor: string | null): void {
    this.next = nextCursor;
  }
  forward(): void {
    if (this.next !== null) this.cursors.push(this.next);
  }
  back(): void {
    if (this.cursors.length > 1) this.cursors.pop();
  }
  reset(): void {
    this.cursors = [undefined];
    this.next = null;
  }
}
