// Offline SQS server for the banban local stack. Queues are not declared here: banban-local
// provisions them from template.yaml through the SQS API, so the template stays the only source.
// Usage: node server.mjs [port]   (or PORT=9324 node server.mjs)
import { createSqsServer } from "local-aws-sqs";

const port = Number(process.argv[2] || process.env.PORT || 9324);
if (!Number.isInteger(port) || port <= 0) {
  throw new Error(`invalid port: ${process.argv[2] ?? process.env.PORT}`);
}
// Bind loopback only: the stack is for this machine, never the network.
await createSqsServer({ port, hostname: "127.0.0.1" });
console.log(`sqs listening on http://127.0.0.1:${port}`);
