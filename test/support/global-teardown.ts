export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__CONVOTIC_EMULATORS__ ?? []).map((e) => e.stop()));
}
