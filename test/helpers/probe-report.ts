/** What the module probe (module-probe.mjs) answers to the message `'probe'`. */
export interface ProbeReport {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Distinct modules loaded (file and builtin URLs). */
  modules: number;
  /** npm packages with at least one module loaded, by name (`@scope/name` or `name`). */
  packages: string[];
}
