CREATE TABLE `volatility_decisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` integer NOT NULL,
	`pool_id` text NOT NULL,
	`decided_at` integer NOT NULL,
	`block_timestamp` integer NOT NULL,
	`block_number` integer NOT NULL,
	`sigma` real,
	`samples` integer NOT NULL,
	`old_wad` text NOT NULL,
	`updated_at` integer NOT NULL,
	`stale_at` integer,
	`target_wad` text,
	`clamped_wad` text,
	`new_wad` text,
	`mode` text,
	`action` text NOT NULL,
	`skip_reason` text,
	`reason` text NOT NULL,
	`intent_id` text,
	`tx_hash` text,
	`tx_status` text,
	`tx_note` text
);
--> statement-breakpoint
CREATE INDEX `volatility_decisions_pool` ON `volatility_decisions` (`chain_id`,`pool_id`,`id`);--> statement-breakpoint
CREATE INDEX `volatility_decisions_action` ON `volatility_decisions` (`action`,`id`);