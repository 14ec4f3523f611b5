"""What xwql issues: notices, case files, monthly packs, the catalog booklet, and their filing."""
