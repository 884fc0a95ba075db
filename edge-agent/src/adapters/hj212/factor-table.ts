// The factor table is part of the device configuration contract (profiles name factors), so it lives in contracts.
export {
  HJ212_BUILTIN_FACTORS as BUILTIN_FACTORS,
  type Hj212FactorDefault as FactorDefault,
} from "@lifeline/contracts";
