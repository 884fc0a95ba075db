/** `lifeline analytics train|score|evaluate|report`: the model commands (BATADAL first). */
export async function analyticsModelCommand(sub: string | undefined, _argv: string[]): Promise<number> {
  throw Object.assign(new Error(`unknown command ${JSON.stringify(sub ?? "")}`), { usage: true });
}
