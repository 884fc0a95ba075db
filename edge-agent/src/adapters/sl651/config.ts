// Device configuration is the contract between gateway profiles and this adapter, so its schema
// lives in @lifeline/contracts (firmware-profiles may depend on nothing else); it is re-exported here.
export {
  type Sl651ElementMapping,
  type Sl651ReceiverConfig,
  type Sl651ReceiverConfigInput,
  type Sl651StationConfig,
  sl651ElementMappingSchema,
  sl651ReceiverSchema,
  sl651StationSchema,
} from "@lifeline/contracts";
