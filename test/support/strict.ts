/** A fake that has only the methods given: any other call throws, so an unexpected step fails the test. */
export function strict<T extends object>(name: string, methods: Partial<T>): T {
  return new Proxy(methods as T, {
    get(target, prop) {
      if (prop === 'then') return undefined;
      const value = (target as Record<PropertyKey, unknown>)[prop];
      if (value === undefined) throw new Error(`${name}.${String(prop)} was not expected`);
      return value;
    },
  });
}
