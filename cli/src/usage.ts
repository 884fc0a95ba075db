/**
 * Every command's usage text, apart from the commands themselves: `lifeline help` and a usage
 * error print them all, and importing the command modules for their text loaded onnxruntime,
 * chdb, node-opcua and fastify first (7–10 s on a gateway-class machine, measured).
 */

export const STORE_USAGE = `  --clickhouse-url URL  a ClickHouse server (http://user:password@host:8123/db) instead of the
                        embedded store; default $CLICKHOUSE_URL
  --cluster NAME        create the schema ON CLUSTER NAME (Replicated tables, Distributed in front)
  --keep-raw DAYS       keep raw readings this many days (default: for ever)
  --keep-1m DAYS        keep 1-minute rollups this many days (default: for ever)
  --keep-1h DAYS        keep 1-hour rollups this many days (default: for ever)`;

export const UP_USAGE = `lifeline up [--demo] [--data DIR] [--host H] [--api-port N] [--mqtt-port N] [--nats-port N]
           [--jetstream-sync always|server|MS]

Runs the single-node stack: nats-server (JetStream) as a child process, and the MQTT gateway,
stream processor, embedded ClickHouse and HTTP API in this process. Ctrl-C drains and stops.

  --demo         add a simulated site (dust monitors and a pipeline transmitter on Modbus TCP, an HJ 212
                 logger, an SL 651 RTU, and an ONVIF pit camera that sees a dust plume a minute in four)
  --data DIR     where NATS and ClickHouse keep their data (default ./.lifeline)
  --api-port N   HTTP API port (default 8080)
  --mqtt-port N  MQTT port for devices and edge agents (default 1883)
  --nats-port N  NATS client port (default 4222)
  --jetstream-sync always (default): JetStream writes each message to disk before it acknowledges
                 it, so what the gateway acknowledged survives a power cut (nats-server >= 2.10);
                 MS: every MS milliseconds (a power cut may lose that window); server: nats-server's
                 own default (every 2 minutes)
${STORE_USAGE}`;

export const GATEWAY_USAGE = `lifeline gateway --nats URL[,URL…] [--mqtt-port 1883] [--host 127.0.0.1] [--replicas 1]

  Runs the MQTT gateway alone (for a deployment with several processes): devices and agents
  publish over MQTT, and each message is acknowledged only once JetStream stored it. Creates the
  streams if they are missing (--replicas 3 on a 3-node cluster). Prints "ready mqtt=PORT" when
  listening. SIGTERM or Ctrl-C stops.`;

export const PROCESSOR_USAGE = `lifeline processor --nats URL[,URL…] [--data DIR] [--api-port N] [--batch 5000] [--alerts all|rules|off] [store options]

  Runs the stream processor alone: durable JetStream consumers write telemetry into embedded
  ClickHouse under --data (default ./.lifeline/clickhouse) and acknowledge only what it committed.
  --api-port also serves the HTTP API from the same process (chdb allows one process per folder).
  --alerts all (default) also runs the alert rule engine, the alert service (lifecycle, stored in
  ClickHouse) and webhook delivery; rules runs the engine only; off neither. Run alerts in one
  process of a deployment.
  Prints "ready" once consuming. SIGTERM or Ctrl-C stops after storing what it received.

${STORE_USAGE}`;

export const PROFILE_USAGE = `lifeline profile validate FILE... [--json]
lifeline profile diff A B
lifeline profile keygen --out DIR
lifeline profile sign FILE --key KEYFILE [--out FILE]
lifeline profile flash FILE --gateway ID [--key KEYFILE] [--nats URL] [--timeout 60]
lifeline profile flash FILE --gateways CANARY,ID,... --key KEYFILE [--nats URL] [--timeout 60]
lifeline profile status --gateway ID [--nats URL] [--json]
lifeline profile rollback --gateway ID [--nats URL] [--timeout 60]

  validate prints every problem with file:line:column; flash signs (or takes a signed .json),
  puts the profile in NATS KV, and waits for the gateway's applied/rejected answer; with
  --gateways the first is the canary: the rest follow only once every one of its points is healthy.`;

export const AGENT_USAGE = `lifeline agent --gateway ID --mqtt URL --trust DIR [--data DIR] [--auto-rollback 120]

  Runs a gateway's edge agent, configured by the profiles flashed to it: each is checked against
  the public keys in DIR (*.pub), applied, and answered on the gateway's status; a new profile
  whose uplink acknowledges nothing for --auto-rollback seconds is rolled back. Readings wait in
  a journal under --data (default ./.lifeline/agent-ID) until the uplink acknowledged them, also
  across restarts. Ctrl-C stops.`;

export const PROBE_USAGE = `lifeline probe modbus HOST [--port 502] [--unit 1] --addr N [--count 2] [--input]
                     [--rtu-over-tcp] [--timeout MS] [--json]
lifeline probe modbus --serial /dev/ttyUSB0 [--baud 9600] [--parity none|even|odd] --unit N --addr N [--count 2]

  Reads registers once and prints them under every byte order (ABCD, CDAB, BADC, DCBA) side by
  side: count 1 as uint16/int16, 2 as float32/int32/uint32, 4 as float64/int64/uint64.

lifeline probe opcua URL [--pki DIR] [--mode None|Sign|SignAndEncrypt] [--policy P] [--user U --password-env VAR]
                     [--depth 6] [--json]

  Browses a server's variables (node id, browse path, data type, access) for writing profile
  points. An unknown server certificate is refused and filed for approval: see lifeline pki.

lifeline probe hj212 --listen PORT [--host 0.0.0.0] [--timezone +08:00] [--json]

  Listens as a monitoring platform, accepts any data logger (either CRC dialect), prints each
  HJ 212 frame as it arrives and answers those whose Flag asks for it (9014). Ctrl-C stops.

lifeline probe sl651 --listen PORT [--host 0.0.0.0] [--timezone +08:00] [--json]

  Listens as a hydrology centre, accepts any RTU, prints each SL 651-2014 message as it arrives
  and confirms reports as the adapter would. Ctrl-C stops.

  With --json both print one object per line and frame: {"ok":true,…} or
  {"ok":false,"error":{"code","message"}}, for piping captures into other tools.

lifeline probe onvif [--user admin --password-env VAR] [--address 239.255.255.250] [--port 3702]
                     [--timeout MS] [--json]

  Finds ONVIF cameras (WS-Discovery Probe, multicast or to one --address), connects to each
  (clock read first, WS-Security digest), and lists their media profiles with the RTSP stream and
  snapshot URIs. A camera that cannot be read is listed with the reason.`;

export const PKI_USAGE = `lifeline pki list [--pki DIR] [--json]
lifeline pki approve THUMBPRINT [--pki DIR]

  OPC UA trust store: server certificates the agent refused (rejected/) wait here for a person
  to check the thumbprint with the server's operator and approve them (moved to trusted/).`;

export const ANALYTICS_USAGE = `lifeline analytics <command>

  train batadal --out MODEL.onnx [--data DIR]     train the C-Town detector on BATADAL dataset03
  train dust|flood --out MODEL.onnx [--report R.html]
                                                  train a forecaster on simulated days, rated on other days
  train dust|flood --out MODEL.onnx --from-store --data DIR --site S --from ISO --to ISO
        [--devices a,b] [--eval-from ISO --eval-to ISO] [--limit N | --warning-level M]
                                                  the same on a site's stored history (last quarter held out)
  train vision --out MODEL.onnx                   the dust-plume / surface-water frame model
  score --model MODEL.onnx --csv FILE --out PRED.csv
                                                  one row per input row: DATETIME,PRED (0/1), through onnxruntime
  evaluate --model MODEL.onnx --csv FILE          S_TTD, S_CLS and S on a file with ATT_FLAG
  report --model MODEL.onnx --csv FILE --out REPORT.html
                                                  the score over time against labels, threshold and detections
  register --model MODEL.onnx [--spec SPEC.json]  add a version to the registry (a model you bring needs --spec)
  activate NAME VERSION | rollback NAME | models [NAME]
                                                  what the stream processors serve (they follow without restart)

  Registry: --nats URL (the deployment's NATS object store) or --registry DIR (files; default
  ./.lifeline/models).`;
