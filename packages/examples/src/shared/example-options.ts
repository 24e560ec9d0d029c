/** Options every example's `run()` takes. */
export interface ExampleOptions {
  /**
   * Multiplies every simulated delay (and the router's timers with it): tests pass e.g. 0.05.
   * @default 1
   */
  readonly timeScale?: number | undefined;
  /** Where the example prints what it shows. @default console.log */
  readonly log?: ((line: string) => void) | undefined;
}
