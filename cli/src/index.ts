export { consoleLogger } from "./console-logger.ts";
export { type DemoSite, startDemoSite } from "./demo-site.ts";
export { main } from "./main.ts";
export { type Stack, type StackOptions, startStack } from "./stack.ts";
