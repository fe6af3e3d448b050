CREATE TABLE `liquidator_actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` integer NOT NULL,
	`vault_id` text NOT NULL,
	`series_id` text NOT NULL,
	`amount` text NOT NULL,
	`collateral_paid` text,
	`reward` text,
	`gas_cost` text,
	`episode_block` integer NOT NULL,
	`block_number` integer NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`intent_id` text NOT NULL,
	`tx_hash` text,
	`mined_block` integer,
	`latency_blocks` integer,
	`decided_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `liquidator_actions_vault` ON `liquidator_actions` (`vault_id`,`id`);--> statement-breakpoint
CREATE INDEX `liquidator_actions_intent` ON `liquidator_actions` (`intent_id`);--> statement-breakpoint
CREATE TABLE `liquidator_vaults` (
	`vault_id` text PRIMARY KEY NOT NULL,
	`series_id` text NOT NULL,
	`owner` text NOT NULL,
	`opened_block` integer NOT NULL,
	`closed` integer DEFAULT false NOT NULL
);
