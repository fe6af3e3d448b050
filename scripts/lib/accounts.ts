import { toHex, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { anvilMnemonic } from "./foundry.js";

/**
 * Private keys of anvil's development accounts `first … first + count − 1` (anvil must be started with
 * enough `--accounts` to fund them). Local chains only.
 */
export function devAccountKeys(first: number, count: number): Hex[] {
  return Array.from({ length: count }, (_, index) => {
    const privateKey = mnemonicToAccount(anvilMnemonic, { addressIndex: first + index }).getHdKey()
      .privateKey;
    if (!privateKey) throw new Error(`no private key for account ${first + index}`);
    return toHex(privateKey);
  });
}
