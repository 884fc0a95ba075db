/** `lifeline analytics train|score|evaluate|report`: the model commands. */
export async function analyticsModelCommand(sub: string | undefined, argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (sub === "train" && (what === "dust" || what === "flood")) {
    const { trainForecaster } = await import("./analytics-forecast.ts");
    return trainForecaster(what, rest);
  }
  if (sub === "train" && what === "vision") {
    const { trainVisionCommand } = await import("./analytics-vision.ts");
    return trainVisionCommand(rest);
  }
  if (sub === "train" && what === "batadal") {
    const { trainBatadalCommand } = await import("./analytics-batadal.ts");
    return trainBatadalCommand(rest);
  }
  if (sub === "score" || sub === "evaluate" || sub === "report") {
    const { batadalFileCommand } = await import("./analytics-batadal.ts");
    return batadalFileCommand(sub, argv);
  }
  throw Object.assign(new Error(`unknown command ${JSON.stringify([sub, what].filter(Boolean).join(" "))}`), {
    usage: true,
  });
}
