// Device configuration is the contract between gateway profiles and this adapter, so its schema
// lives in @lifeline/contracts (firmware-profiles may depend on nothing else); it is re-exported here.
export {
  factorCodeSchema,
  type Hj212FactorConfig,
  type Hj212ReceiverConfig,
  type Hj212ReceiverInput,
  type Hj212StationConfig,
  hj212FactorSchema,
  hj212ReceiverSchema,
  hj212StationSchema,
} from "@lifeline/contracts";
