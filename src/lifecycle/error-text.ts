/** An error as one line for a log or a message: its class and message, or what it is. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
