"""一网通办 — government services: the service catalogue (事项目录与办事指南) and the cases
(办件) citizens, enterprises and Macau residents apply for and staff handle."""
