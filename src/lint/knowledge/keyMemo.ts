// Knowledge lookups by tag key, memoised: a dataset asks about the same few thousand keys a
// hundred thousand times per lint. "None" is stored as null, so one map lookup answers.

/** `compute`, remembered per key (the memo is emptied past 100,000 keys: a bound, not a policy). */
export function memoisedByKey<T extends string | number | boolean>(compute: (key: string) => T | undefined): (key: string) => T | undefined {
  const memo = new Map<string, T | null>();
  return (key) => {
    let result = memo.get(key);
    if (result === undefined) {
      result = compute(key) ?? null;
      if (memo.size >= 100_000) memo.clear();
      memo.set(key, result);
    }
    return result ?? undefined;
  };
}
