"""政务服务事项目录: 基本目录, 实施清单 (versioned), 申请材料, 收费, 常见问题, 主题分类, and the
application form each item version carries."""
