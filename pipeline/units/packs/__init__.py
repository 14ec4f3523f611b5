"""The monthly disclosure pack (月度公开材料, 五公开) of a village, and the district summary.

For the town and district office (scenario 2): for one village and one month, a
single collated PDF/A-2b with a stamped cover, a table of contents, page numbers
(``— 7 —``) and one bookmarked section per part of the 五公开:

1. 清单公开 — the catalog items the village's cases used, with basis and acting body;
2. 制度与流程公开 — those items' flowchart pages, each rendered once per catalog
   edition and kept in a cache folder (the booklet's own pages and cache key: the
   item's data, the edition and the template), so a district month with dozens of
   villages converts each item's page once;
3. 过程公开 — every case active in the month, with its steps done, the step it waits
   for and the due dates;
4. 结果公开 — the cases closed in the month with their decision or result, and the
   amount of money items (资金管理, 工资薪酬类, 保障救助);
5. 逾期办件 — open cases past a step's due date on the month's last day;
6. 违规办理 — the irregularities (steps forced against the rules) of the month;
7. 用印登记 — the month's seal-use register lines of the village's seal.

Cases are read as they stood at the end of the month: steps dated later are left
out, so a pack rebuilt later shows the same month. The pack is a public document:
people are named, ID numbers masked and phones and addresses never shown (the
notices' helpers), free text is masked, and the finished PDF goes through the
notices' privacy guard. The district summary counts the same per town, village
and item (PDF, and an ``.xlsx`` for the office).

Modules:

- ``month``: months, and what a village's month holds, read from the case store;
- ``sections``: the rows, summaries and template values of each section;
- ``pack``: building the pack, and what its archive record needs;
- ``summary``: which villages, and the district summary.
"""
